/**
 * Azure virtual machines as the drainer names them, and how their Kubernetes node is recognised. The
 * Azure cloud provider writes `spec.providerID` as `azure://<VM resource id>` (for scale set instances
 * `.../virtualMachineScaleSets/<vmss>/virtualMachines/<n>`); ARM compares resource ids case-insensitively.
 */
import type { MachineRef } from '../../events/interruption.ts';
import { normalizeVmResourceId } from './resource-id.ts';

/** A virtual machine (standalone or a scale set instance) by its ARM resource id. */
export interface AzureMachine extends MachineRef {
  readonly cloud: 'azure';
  readonly resourceId: string;
}

const AZURE_SCHEME = /^azure:\/\//i;

/** `{ cloud: 'azure', resourceId }`, the machine every Azure parser names. */
export function azureMachine(resourceId: string): AzureMachine {
  return { cloud: 'azure', resourceId };
}

/** Whether `machine` is an Azure VM (narrows the shared MachineRef). */
export function isAzureMachine(machine: MachineRef): machine is AzureMachine {
  return machine.cloud === 'azure' && typeof machine.resourceId === 'string';
}

/** `azure://` and the canonical (normalized) resource id. */
export function expectedAzureProviderId(machine: AzureMachine): string {
  return `azure://${normalizeVmResourceId(machine.resourceId) ?? machine.resourceId}`;
}

/** Whether a node's `spec.providerID` names the VM; whole ids compared, case-insensitively. */
export function azureProviderIdMatches(machine: AzureMachine, providerID: string): boolean {
  if (!AZURE_SCHEME.test(providerID)) return false;
  const node = normalizeVmResourceId(providerID.replace(AZURE_SCHEME, ''));
  return node !== undefined && node === normalizeVmResourceId(machine.resourceId);
}
