/**
 * A stand-in for what the Azure Functions host gives a Node.js worker: the `@azure/functions-core` module.
 *
 * `@azure/functions` looks for that module the first time an app registers a function. The real host
 * provides it; anywhere else the package prints "WARNING: Failed to detect the Azure Functions runtime.
 * Switching "@azure/functions" package to test mode" and "Skipping call to register function … because
 * the package is in test mode" (console.warn, no setting or variable turns it off). The demo loads the
 * Function bundle the way the host does, so it provides the module too, the way the host does: from then
 * on `require('@azure/functions-core')` resolves to a minimal core API that records what the app
 * registers. Nothing else is intercepted, so any other warning still shows.
 */
import * as nodeModule from 'node:module';

/** A function the app registered, as the host would see it. */
export interface RegisteredFunction {
  /** The function name, e.g. `spotDrainer`. */
  name: string;
  /** The trigger binding type, e.g. `eventGridTrigger`. */
  trigger: string;
  /** The callback the host would invoke. */
  callback: (...args: unknown[]) => unknown;
}

interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, { type: string; direction: string }>;
}

/** What the stand-in host has seen so far. */
export interface FunctionsHostStandIn {
  /** Functions registered through `app.*(…)`, in order. */
  readonly functions: RegisteredFunction[];
}

const MODULE = '@azure/functions-core';
const MODULE_URL = 'spot-drainer:azure-functions-core';
const GLOBAL_KEY = Symbol.for('spot-drainer.azure-functions-core');

let installed: FunctionsHostStandIn | undefined;

/**
 * Makes `@azure/functions-core` resolvable in this process (for `import` and `require` alike), backed by
 * a core API that records registrations and ignores hooks. Call it before loading a Function app. Idempotent:
 * later calls return the same record. Throws when this Node.js lacks module.registerHooks (before 22.15).
 */
export function standInFunctionsHost(): FunctionsHostStandIn {
  if (installed) return installed;
  // Looked up at call time: a static named import would keep the whole CLI bundle from loading on a
  // Node.js without it.
  const { registerHooks } = nodeModule as Partial<typeof nodeModule>;
  if (!registerHooks)
    throw new Error(`module.registerHooks is missing: Node.js ${process.version} is older than 22.15`);
  const host: FunctionsHostStandIn = { functions: [] };
  const coreApi = {
    version: 'spot-drainer-stand-in',
    hostVersion: 'spot-drainer-stand-in',
    setProgrammingModel: () => undefined,
    getProgrammingModel: () => undefined,
    registerFunction(metadata: CoreFunctionMetadata, callback: (...args: unknown[]) => unknown) {
      const trigger = Object.values(metadata.bindings).find(
        (binding) => binding.direction === 'in' && /trigger$/i.test(binding.type),
      );
      host.functions.push({ name: metadata.name, trigger: trigger?.type ?? 'unknown', callback });
      return { dispose: () => undefined };
    },
    registerHook: () => ({ dispose: () => undefined }),
    Disposable: class {
      dispose(): void {}
    },
  };
  (globalThis as Record<symbol, unknown>)[GLOBAL_KEY] = coreApi;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier === MODULE) return { url: MODULE_URL, format: 'commonjs', shortCircuit: true };
      return nextResolve(specifier, context);
    },
    load(url, context, nextLoad) {
      if (url === MODULE_URL) {
        return {
          format: 'commonjs',
          source: `module.exports = globalThis[Symbol.for(${JSON.stringify(GLOBAL_KEY.description)})];`,
          shortCircuit: true,
        };
      }
      return nextLoad(url, context);
    },
  });
  installed = host;
  return host;
}
