// Writes one scale set back with its current model (read by ./scheduled-events-opt-in.bicep) and
// Scheduled Events published to Event Grid and Resource Graph. The policy is a property of the scale
// set, not of its VM model: instances need no upgrade or reimage.
targetScope = 'resourceGroup'

param scaleSetName string
param location string
param sku object
param tags object
param zones array
param identity object
param plan object

@description('The scale set\'s current properties, as read.')
param properties object

var optIn = {
  scheduledEventsPolicy: {
    scheduledEventsAdditionalPublishingTargets: {
      eventGridAndResourceGraph: {
        enable: true
      }
    }
  }
}

resource scaleSet 'Microsoft.Compute/virtualMachineScaleSets@2025-04-01' = {
  // The VM model is the scale set's own, written back unchanged; its owner's template decides it:
  // checkov:skip=CKV_AZURE_178: SSH settings come unchanged from the existing scale set's model (properties), not from this module.
  // checkov:skip=CKV_AZURE_49: Authentication settings come unchanged from the existing scale set's model, not from this module.
  // checkov:skip=CKV_AZURE_95: The upgrade policy comes unchanged from the existing scale set's model, not from this module.
  // checkov:skip=CKV_AZURE_97: Encryption at host comes unchanged from the existing scale set's model, not from this module.
  name: scaleSetName
  location: location
  sku: sku
  tags: tags
  zones: empty(zones) ? null : zones
  identity: empty(identity) ? null : identity
  plan: empty(plan) ? null : plan
  // union() merges nested objects: the existing scheduledEventsPolicy settings are kept.
  properties: union(properties, optIn)
}

output scheduledEventsPolicy object = scaleSet.properties.scheduledEventsPolicy
