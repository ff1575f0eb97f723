/**
 * Every provider, for the command line (which reads events of any cloud). A cloud function registers only
 * its own provider, so its bundle carries only its cloud's SDKs. Adding a cloud: its folder beside aws/
 * and azure/, and one line here.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import type { TokenCredential } from '@azure/core-auth';
import type { Config } from '../config.ts';
import { type AwsClients, createAwsProvider } from './aws/provider.ts';
import { defaultAzureCredential } from './azure/aks-token.ts';
import { createAzureProvider } from './azure/provider.ts';
import type { CloudProvider } from './provider.ts';

/** Options of allProviders. */
export interface AllProvidersOptions {
  /** False: no cloud API calls (replay's default); the AWS and Azure SDKs are never used. */
  cloudCalls: boolean;
  /** AWS region; default AWS_REGION, else us-east-1. */
  region?: string;
}

/** The AWS and Azure providers with SDK clients created on first use, endpoints as the SDKs are configured. */
export function allProviders(config: Config, options: AllProvidersOptions): CloudProvider[] {
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  let clients: AwsClients | undefined;
  let credential: TokenCredential | undefined;
  return [
    createAwsProvider({
      config,
      region,
      cloudCalls: options.cloudCalls,
      clients: () => {
        clients ??= {
          ec2: new EC2Client({ region }),
          eks: new EKSClient({ region }),
          autoScaling: new AutoScalingClient({ region }),
        };
        return clients;
      },
    }),
    createAzureProvider({
      config,
      credential: () => {
        credential ??= defaultAzureCredential();
        return credential;
      },
    }),
  ];
}
