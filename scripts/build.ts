/** `npm run build`: the bundles of src/cli/bundle.ts into dist/, with their sizes. */
import { buildAll } from '../src/cli/bundle.ts';

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
for (const [name, size] of Object.entries(await buildAll())) {
  console.log(
    `${name.padEnd(6)} entry ${kib(size.entryBytes)}, with lazily loaded chunks ${kib(size.totalBytes)}`,
  );
}
