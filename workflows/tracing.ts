/**
 * OpenTelemetry's workflow interceptors (`@temporalio/interceptors-opentelemetry`), bundled with the
 * workflows as an interceptor module: spans of a workflow's run, its updates and signals and the
 * activities it schedules, with the trace context passed on in the activities' headers.
 *
 * Behind `patched()`: the interceptors await their spans before passing a call on, which moves the
 * moment an activity's command is emitted against a timer's or an upsert's, so a history recorded
 * without them does not replay (the replay guard caught it on a deadline extension). A patch cannot be
 * asked before the workflow starts, so the run decides when it starts (the inbound `execute`, the first
 * call of every run and of every replay) and every call after follows that decision: a run started
 * before keeps running untraced, a run started since records the marker and is traced for good.
 * docs/registration-workflow.md, Versioning; docs/operations.md, Traces.
 */
import type { WorkflowInterceptors } from '@temporalio/workflow';
import { interceptors as openTelemetry } from '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors';
import { patched } from './patches';

const TRACING_PATCH = 'opentelemetry-tracing';

type Interceptor = Record<string, (input: unknown, next: (input: unknown) => unknown) => unknown>;

/** Every method of `inner`, run only while the run is traced; otherwise the call goes straight on. `decide` names the method that decides. */
function whenTraced<T extends object>(inner: T, run: { traced: boolean | undefined }, decide?: string): T {
  const methods: Interceptor = {};
  let proto: object | null = inner;
  while (proto && proto !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const fn = (inner as Interceptor)[name];
      if (name === 'constructor' || typeof fn !== 'function' || name in methods) continue;
      methods[name] = (input, next) => {
        if (name === decide) run.traced = patched(TRACING_PATCH);
        return run.traced ? fn.call(inner, input, next) : next(input);
      };
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return methods as T;
}

/** Called once per run (the SDK's interceptor factory): the decision lives in this closure, not in module state, which reused sandboxes share. */
export const interceptors = (): WorkflowInterceptors => {
  const run: { traced: boolean | undefined } = { traced: undefined };
  const inner = openTelemetry();
  return {
    inbound: inner.inbound?.map((i) => whenTraced(i, run, 'execute')),
    outbound: inner.outbound?.map((i) => whenTraced(i, run)),
    internals: inner.internals?.map((i) => whenTraced(i, run)),
  };
};
