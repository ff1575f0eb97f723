/**
 * `node src/local-cluster/build-binaries.ts`: builds (or finds in the cache) the local control plane's
 * binaries and prints their paths as JSON. scripts/setup.sh runs it so the first demo or test run does
 * not wait for the build. A script of its own, so the CLI bundle does not run it on import.
 */
import { ensureBinaries } from './binaries.ts';

console.log(JSON.stringify(ensureBinaries(), null, 2));
