/**
 * The launcher's Stack (npm start, npm run cluster, the benches): a second
 * shutdown, such as a caller whose work failed because Ctrl-C began the stop,
 * waits for the children to be gone. If it returned at once, that caller would
 * exit the process and a child in its own process group would outlive it.
 */
import assert from 'node:assert/strict';
import { Stack } from '../../src/launcher/stack';

describe('launcher: Stack.shutdown', function () {
  this.timeout(30_000);

  it('a second shutdown, begun while the first is stopping a slow child, resolves only after the child exited', async () => {
    const lines: string[] = [];
    const stack = new Stack('test', (l) => lines.push(l));
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
});
