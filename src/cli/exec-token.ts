import { KubeConfig } from '@kubernetes/client-node';
import type { ExecTokenSource } from '../kube/kubeconfig.ts';

/**
 * Tokens for kubeconfig users that run a credential plugin (aws eks get-token, kubelogin, gke plugin):
 * client-node runs it and caches the result until it expires.
 */
export const execToken: ExecTokenSource = (text, context) => {
  const config = new KubeConfig();
  config.loadFromString(text);
  config.setCurrentContext(context);
  return async () => {
    const options: { headers?: Record<string, string> } = { headers: {} };
    await config.applyToHTTPSOptions(options as Parameters<KubeConfig['applyToHTTPSOptions']>[0]);
    return (options.headers?.Authorization ?? '').replace(/^Bearer\s+/i, '');
  };
};
