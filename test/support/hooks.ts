// Mocha root hooks: whatever the shared fixtures started is stopped at the end,
// even when tests fail. Only the fixtures' lifetime is loaded here, so a run
// that starts no server (npm run test:unit) loads no Temporal SDK for them.
import { stopAll } from '../kit/lifetime';

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await stopAll();
  },
};
