// Mocha root hooks: whatever the shared fixtures started is stopped at the end,
// even when tests fail.
import { stopAll } from './env';

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await stopAll();
  },
};
