// Opts ONE existing virtual machine scale set in to publishing its Scheduled Events (Preempt,
// Terminate, Reboot, Redeploy, Freeze) to Event Grid and Azure Resource Graph:
//   properties.scheduledEventsPolicy.scheduledEventsAdditionalPublishingTargets
//     .eventGridAndResourceGraph.enable = true                  (Compute API 2025-04-01 or later)
// Without it the Maintenance Resources system topic has nothing to send for this scale set, and
// spot-drainer only hears of an eviction after the fact (Resource Health, simulateEviction).
//
// Prerequisites, once per subscription (preview features):
//   az feature register --namespace Microsoft.Compute --name SendScheduledEventsPolicy
//   az feature register --namespace Microsoft.Maintenance --name ScheduledEventsActivity
//   az provider register --namespace Microsoft.Compute && az provider register --namespace Microsoft.Maintenance
//
// Deployed by ../main.bicep for each id in `scheduledEventsScaleSetIds`, into the scale set's resource
// group. An ARM deployment can only PUT a whole scale set, so this reads the scale set as it is and
// hands its current model to ./scheduled-events-opt-in-apply.bicep, which writes it back with the
// policy added. Review with `az deployment sub what-if` first. For scale sets you define in your own
// templates, set the property there instead; for AKS node pools, see infra/README.md (the node
// resource group is managed by AKS).
targetScope = 'resourceGroup'

@description('Name of the scale set, in this resource group.')
param scaleSetName string

resource scaleSet 'Microsoft.Compute/virtualMachineScaleSets@2025-04-01' existing = {
  name: scaleSetName
}

module apply 'scheduled-events-opt-in-apply.bicep' = {
  name: take('spot-drainer-se-${scaleSetName}', 64)
  params: {
    scaleSetName: scaleSetName
    location: scaleSet.location
    sku: scaleSet.sku
    tags: scaleSet.?tags ?? {}
    zones: scaleSet.?zones ?? []
    identity: scaleSet.?identity ?? {}
    plan: scaleSet.?plan ?? {}
    properties: scaleSet.properties
  }
}

output scaleSetId string = scaleSet.id
