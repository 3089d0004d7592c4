/**
 * The launcher's Stack (npm start, npm run cluster, the benches): a second
 * shutdown, such as a caller whose work failed because Ctrl-C began the stop,
 * waits for the children to be gone. If it returned at once, that caller would
 * exit the process and a child in its own process group would outlive it.
 */
import assert from 'node:assert/strict';
import { Stack } from '../../src/launcher/stack';

describe("launcher: Stack.shutdown and one child's stop", function () {
  this.timeout(30_000);
  // Every stack is stopped after its test, passed or failed, so a failing assertion leaves no child running.
  const stacks: Stack[] = [];
  const newStack = (out: (line: string) => void) => {
    const stack = new Stack('test', out);
    stacks.push(stack);
    return stack;
  };
  afterEach(() => Promise.all(stacks.splice(0).map((s) => s.shutdown())));

  it('a second shutdown, begun while the first is stopping a slow child, resolves only after the child exited', async () => {
    const lines: string[] = [];
    const stack = newStack((l) => lines.push(l));
    // A child that takes a second to stop after SIGTERM, as a draining worker does.
    const slow = stack.supervise('slow', process.execPath, [
      '-e',
      "process.on('SIGTERM', () => setTimeout(() => process.exit(0), 1000)); console.log('up'); setInterval(() => {}, 1000);",
    ]);
    while (!lines.some((l) => l.endsWith(' up'))) await new Promise((r) => setTimeout(r, 20));

    const first = stack.shutdown();
    await stack.shutdown();
    assert.notEqual(slow.child().exitCode ?? slow.child().signalCode, null, 'the child is gone when the second shutdown resolves');
    assert.equal(lines.filter((l) => l.endsWith(' stopped')).length, 1, 'one stop, said once');
    await first;
  });

  it('one child stopped alone is gone, is not restarted, and leaves the stack and its other children running', async () => {
    const stack = newStack(() => {});
    const idle = ['-e', 'setInterval(() => {}, 1000)'];
    const one = stack.supervise('one', process.execPath, idle, { restart: true });
    const other = stack.supervise('other', process.execPath, idle);
    await one.stop();
    await new Promise((r) => setTimeout(r, 1000)); // a restart would come 500 ms after the exit
    assert.notEqual(one.child().exitCode ?? one.child().signalCode, null, 'the stopped child is gone');
    assert.equal(one.restarts(), 0, 'and not restarted');
    assert.equal(stack.shuttingDown, false, 'the stack goes on');
    assert.equal(other.child().exitCode ?? other.child().signalCode, null, 'the other child still runs');
  });
});
