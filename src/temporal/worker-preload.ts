/**
 * What the built worker preloads into every thread, the workflow thread included, before the SDK runs (`--require`,
 * package.json's `worker` script, which `npm run cluster`, the benches and docker-compose.yml start it with):
 * - AsyncLocalStorage copying only the stores that are set (./async-local-storage);
 * - the SDK's workflow stack traces off unless asked for (./workflow-stack-traces).
 */
import './async-local-storage';
import './workflow-stack-traces';
