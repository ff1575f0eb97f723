/** A global setup that fails, as when the local control plane does not start. */
export default async function setup(): Promise<void> {
  throw new Error('fixture: the control plane did not start');
}
