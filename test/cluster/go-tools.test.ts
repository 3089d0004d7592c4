import assert from 'node:assert/strict';
import { requireGoTools, underCi } from '../support/go-tools';

describe('cluster tests without their Go-built servers', () => {
  const skipped = () => {
    let n = 0;
    return { ctx: { skip: () => void n++ } as unknown as Mocha.Context, count: () => n };
  };
  const quiet = () => {};

  it('fail loudly under CI, naming what is missing and how to build it', () => {
    const { ctx, count } = skipped();
    assert.throws(
      () => requireGoTools(ctx, ['temporal', 'seaweedfs'], { installed: (t) => t === 'temporal', env: { CI: 'true' }, say: quiet }),
      /seaweedfs not built in \.tools\/go.*npm run setup:cluster/,
    );
    assert.equal(count(), 0, 'not skipped');
  });

  it('are skipped with the reason elsewhere, and run when everything is built', () => {
    const lines: string[] = [];
    const off = skipped();
    requireGoTools(off.ctx, ['temporal', 'ui'], { installed: () => false, env: {}, say: (l) => lines.push(l) });
    assert.equal(off.count(), 1);
    assert.match(lines[0]!, /temporal, ui not built.*npm run setup:cluster/);
    const built = skipped();
    requireGoTools(built.ctx, ['temporal', 'ui'], { installed: () => true, env: { CI: 'true' }, say: quiet });
    assert.equal(built.count(), 0);
  });

  it('CI counts as set unless empty, "false" or "0"', () => {
    assert.deepEqual(
      ['true', '1', 'yes', '', 'false', '0'].map((v) => underCi({ CI: v })),
      [true, true, true, false, false, false],
    );
    assert.equal(underCi({}), false);
  });
});
