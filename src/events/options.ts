/** Behaviour switches for parsing; each has a default so callers set only what they change. */
export interface ParseOptions {
  /** What an EC2 rebalance recommendation does to the node. Default `cordon`. */
  rebalanceAction?: 'cordon' | 'drain';
  /** What an Azure Redeploy, Reboot or Freeze scheduled event does to the node. Default `cordon`. */
  maintenanceAction?: 'cordon' | 'drain' | 'ignore';
  /** Heartbeat timeout of the ASG terminate lifecycle hook; the deadline is event time + this. Default 3600. */
  lifecycleHookTimeoutSeconds?: number;
}

/** The value each ParseOptions switch takes when left out (the hook timeout in seconds). */
export const defaultParseOptions: Readonly<Required<ParseOptions>> = {
  rebalanceAction: 'cordon',
  maintenanceAction: 'cordon',
  lifecycleHookTimeoutSeconds: 3600,
};

/** `options` with every switch left out set from `defaultParseOptions`; a new object, the input untouched. */
export function resolveParseOptions(options: ParseOptions | undefined): Required<ParseOptions> {
  return {
    rebalanceAction: options?.rebalanceAction ?? defaultParseOptions.rebalanceAction,
    maintenanceAction: options?.maintenanceAction ?? defaultParseOptions.maintenanceAction,
    lifecycleHookTimeoutSeconds:
      options?.lifecycleHookTimeoutSeconds ?? defaultParseOptions.lifecycleHookTimeoutSeconds,
  };
}
