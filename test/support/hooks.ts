// Mocha root hooks: whatever the shared fixtures started is stopped at the end,
// even when tests fail.
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { stopAll } from './env';

// Workers' lifecycle chatter (INFO) drowns the test report; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger(process.env.TEMPORAL_LOG_LEVEL === 'INFO' ? 'INFO' : 'WARN') });

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await stopAll();
  },
};
