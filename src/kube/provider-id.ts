import { normalizeVmResourceId } from '../cloud/azure/resource-id.ts';
import type { MachineRef } from '../events/interruption.ts';

/** `aws:///<zone>/<instanceId>`, as the AWS cloud provider writes `spec.providerID`. */
const AWS_PROVIDER_ID = /^aws:\/\/\/([^/]+)\/([^/]+)$/;
const AZURE_SCHEME = /^azure:\/\//i;

/**
 * The provider id the node of `ref` should carry. For an AWS machine whose zone is not known yet the
 * zone reads `*`: a pattern for messages, not an id to look up.
 */
export function expectedProviderId(ref: MachineRef): string {
  if (ref.cloud === 'aws') return `aws:///${ref.zone ?? '*'}/${ref.instanceId}`;
  return `azure://${normalizeVmResourceId(ref.resourceId) ?? ref.resourceId}`;
}

/**
 * Whether a node's `spec.providerID` names the machine of `ref`. Whole ids are compared, never
 * substrings: `i-0abc` does not match a node of `i-0abcd...`.
 */
export function providerIdMatches(ref: MachineRef, providerID: string): boolean {
  if (ref.cloud === 'aws') {
    const match = AWS_PROVIDER_ID.exec(providerID);
    if (!match) return false;
    const [, zone, instanceId] = match;
    return instanceId === ref.instanceId && (ref.zone === undefined || zone === ref.zone);
  }
  if (!AZURE_SCHEME.test(providerID)) return false;
  const node = normalizeVmResourceId(providerID.replace(AZURE_SCHEME, ''));
  return node !== undefined && node === normalizeVmResourceId(ref.resourceId);
}
