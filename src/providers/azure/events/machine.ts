import type { Interruption } from '../../../events/interruption.ts';
import { type AzureMachine, azureMachine } from '../machine.ts';
import { type AzureVm, parseVmResourceId } from '../resource-id.ts';

/** A place in the event that may hold the VM's resource id, by the field name reasons should quote. */
export interface ResourceIdSource {
  field: string;
  value: string | undefined;
}

/**
 * The VM an event names, as the provider's MachineRef and parsed; or why not: no source held an id
 * (`missing`), the id does not parse (`malformed`), or it names something other than a VM (`not-a-vm`).
 */
export type ResolvedMachine =
  | { ok: true; machine: AzureMachine; vm: AzureVm }
  | { ok: false; problem: 'missing' | 'malformed' | 'not-a-vm'; reason: string };

/**
 * The virtual machine named by the first source that holds a value. Payloads repeat the target in several
 * fields, and not every schema version fills each; the first present one decides, with no second guess
 * if it turns out not to be a VM.
 */
export function resolveMachine(sources: readonly ResourceIdSource[]): ResolvedMachine {
  const source = sources.find((candidate) => candidate.value !== undefined && candidate.value !== '');
  if (!source?.value) {
    return { ok: false, problem: 'missing', reason: `${sources.map((s) => s.field).join(', ')}: required` };
  }
  const parsed = parseVmResourceId(source.value);
  if (!parsed.ok) return { ok: false, problem: parsed.problem, reason: `${source.field}: ${parsed.reason}` };
  return { ok: true, machine: azureMachine(parsed.resourceId), vm: parsed.vm };
}

/** The subscription stands in for the account, as the AWS account id does on the other side. */
export function accountOf(vm: AzureVm): Pick<Interruption, 'account'> {
  return { account: vm.subscriptionId };
}
