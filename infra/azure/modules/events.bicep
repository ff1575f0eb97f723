// Event Grid system topics on the deployment subscription and one filtered event subscription per
// event kind, all delivering to the `spotDrainer` function. Deployed into the spot-drainer resource
// group by ../main.bicep. Events that cannot be delivered after the retries go to a blob container
// (dead-lettering), and alerts fire on dead-lettered or dropped events: none is lost silently.
targetScope = 'resourceGroup'

@minLength(3)
@maxLength(11)
param namePrefix string

param tags object

@description('Resource id of the Function App.')
param functionAppId string

@description('Name the function registers with app.eventGrid(...) in functions/azure/handler.ts.')
param functionName string = 'spotDrainer'

param storageAccountId string
param deadLetterContainerName string

@description('User-assigned identity Event Grid writes dead letters with (Storage Blob Data Contributor on that container).')
param eventGridIdentityId string

@description('Node resource groups of the AKS clusters: only events about resources in them are delivered.')
@minLength(1)
@maxLength(15)
param nodeResourceGroups array

param enableResourceAnnotated bool
param enableAvailabilityStatusChanged bool
param enableScheduledEvents bool
param enableSimulateEviction bool

@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int

@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int

@description('Action group of the dead-letter alerts; empty = alerts without action.')
param actionGroupId string = ''

// ---------------------------------------------------------------------------------------------------
// Filters (Event Grid compares strings case-insensitively; at most 25 filter values per subscription)
// ---------------------------------------------------------------------------------------------------

// The event's subject is the VM (or its scheduled event) id, which contains its resource group.
var nodeResourceGroupFilter = {
  operatorType: 'StringContains'
  key: 'subject'
  values: [for group in nodeResourceGroups: '/resourceGroups/${group}/']
}

var virtualMachineFilter = {
  operatorType: 'StringIn'
  key: 'data.resourceInfo.properties.targetResourceType'
  values: [
    'Microsoft.Compute/virtualMachineScaleSets/virtualMachines'
    'Microsoft.Compute/virtualMachines'
  ]
}

var allHealthSubscriptions = [
  {
    name: 'resource-annotated'
    enabled: enableResourceAnnotated
    eventFilter: {
      includedEventTypes: [
        'Microsoft.ResourceNotifications.HealthResources.ResourceAnnotated'
      ]
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.resourceInfo.properties.annotationName'
          values: [
            'VirtualMachinePreempted'
            'VirtualMachineDeallocationInitiated'
            'VirtualMachineStopInitiatedByControlPlane'
          ]
        }
        virtualMachineFilter
        nodeResourceGroupFilter
      ]
    }
  }
  {
    name: 'availability-unavailable'
    enabled: enableAvailabilityStatusChanged
    eventFilter: {
      includedEventTypes: [
        'Microsoft.ResourceNotifications.HealthResources.AvailabilityStatusChanged'
      ]
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.resourceInfo.properties.availabilityState'
          values: [
            'Unavailable'
          ]
        }
        virtualMachineFilter
        nodeResourceGroupFilter
      ]
    }
  }
]

var healthSubscriptions = filter(allHealthSubscriptions, s => s.enabled)

var allMaintenanceSubscriptions = [
  {
    name: 'scheduled-events'
    enabled: enableScheduledEvents
    eventFilter: {
      // No includedEventTypes: Azure documents this event both as
      // Microsoft.ResourceNotifications.MaintenanceResources.ScheduledEventEmitted and as
      // microsoft.maintenance/scheduledevents/write, and the function parses both; filtering on one
      // would have Event Grid drop the other before delivery. Every event of the Maintenance
      // Resources topic is a candidate, and the EventType and node resource group filters select.
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.resourceInfo.properties.EventType'
          values: [
            'Preempt'
            'Terminate'
            'Redeploy'
            'Reboot'
            'Freeze'
          ]
        }
        nodeResourceGroupFilter
      ]
    }
  }
]

var maintenanceSubscriptions = filter(allMaintenanceSubscriptions, s => s.enabled)

var allResourceActionSubscriptions = [
  {
    name: 'simulate-eviction'
    enabled: enableSimulateEviction
    eventFilter: {
      includedEventTypes: [
        'Microsoft.Resources.ResourceActionSuccess'
      ]
      advancedFilters: [
        {
          // .../virtualMachineScaleSets/virtualMachines/simulateEviction/action and
          // .../virtualMachines/simulateEviction/action
          operatorType: 'StringEndsWith'
          key: 'data.operationName'
          values: [
            'simulateEviction/action'
          ]
        }
        nodeResourceGroupFilter
      ]
    }
  }
]

var resourceActionSubscriptions = filter(allResourceActionSubscriptions, s => s.enabled)

// ---------------------------------------------------------------------------------------------------
// Delivery: the function, retries, dead-lettering
// ---------------------------------------------------------------------------------------------------

// Retries. Event Grid retries an AzureFunction delivery that fails or is not answered in time after
// about 10 s, 30 s, 1 min, 5 min, 10 min, 30 min, ... and stops at whichever limit comes first:
// maxDeliveryAttempts (default 10) or eventTimeToLiveInMinutes (default 30, which allows 6 attempts,
// the last about 17 minutes after the event). A redelivery may start while the first invocation still
// drains: the function is idempotent (it sees its own marks on the node and continues the work),
// so a duplicate costs an invocation, not a second drain. Later attempts still matter: a Preempt
// redelivered after its deadline becomes a cleanup of a machine that is gone. Then the event is
// dead-lettered to blob storage and an alert fires; nothing is dropped silently.
var delivery = {
  destination: {
    endpointType: 'AzureFunction'
    properties: {
      resourceId: '${functionAppId}/functions/${functionName}'
      maxEventsPerBatch: 1
      preferredBatchSizeInKilobytes: 64
    }
  }
  eventDeliverySchema: 'EventGridSchema'
  retryPolicy: {
    maxDeliveryAttempts: maxDeliveryAttempts
    eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
  }
  deadLetterWithResourceIdentity: {
    identity: {
      type: 'UserAssigned'
      userAssignedIdentity: eventGridIdentityId
    }
    deadLetterDestination: {
      endpointType: 'StorageBlob'
      properties: {
        resourceId: storageAccountId
        blobContainerName: deadLetterContainerName
      }
    }
  }
}

var topicIdentity = {
  type: 'UserAssigned'
  userAssignedIdentities: {
    '${eventGridIdentityId}': {}
  }
}

// ---------------------------------------------------------------------------------------------------
// System topics (source: this subscription; one topic per source and type may exist)
// ---------------------------------------------------------------------------------------------------

var healthTopicName = 'evgt-${namePrefix}-health-resources'
var maintenanceTopicName = 'evgt-${namePrefix}-maintenance-resources'
var resourceActionTopicName = 'evgt-${namePrefix}-subscription'

resource healthTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = if (!empty(healthSubscriptions)) {
  name: healthTopicName
  location: 'global'
  tags: tags
  identity: topicIdentity
  properties: {
    source: subscription().id
    topicType: 'Microsoft.ResourceNotifications.HealthResources'
  }
}

resource healthEventSubscriptions 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = [
  for s in healthSubscriptions: {
    parent: healthTopic
    name: s.name
    properties: union(delivery, { 'filter': s.eventFilter })
  }
]

resource maintenanceTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = if (!empty(maintenanceSubscriptions)) {
  name: maintenanceTopicName
  location: 'global'
  tags: tags
  identity: topicIdentity
  properties: {
    source: subscription().id
    topicType: 'Microsoft.ResourceNotifications.MaintenanceResources'
  }
}

resource maintenanceEventSubscriptions 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = [
  for s in maintenanceSubscriptions: {
    parent: maintenanceTopic
    name: s.name
    properties: union(delivery, { 'filter': s.eventFilter })
  }
]

resource resourceActionTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = if (!empty(resourceActionSubscriptions)) {
  name: resourceActionTopicName
  location: 'global'
  tags: tags
  identity: topicIdentity
  properties: {
    source: subscription().id
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

resource resourceActionEventSubscriptions 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = [
  for s in resourceActionSubscriptions: {
    parent: resourceActionTopic
    name: s.name
    properties: union(delivery, { 'filter': s.eventFilter })
  }
]

// ---------------------------------------------------------------------------------------------------
// Alerts: an event dead-lettered (delivery kept failing) or dropped (even dead-lettering failed)
// ---------------------------------------------------------------------------------------------------

var allAlertedTopics = [
  {
    name: healthTopicName
    enabled: !empty(healthSubscriptions)
  }
  {
    name: maintenanceTopicName
    enabled: !empty(maintenanceSubscriptions)
  }
  {
    name: resourceActionTopicName
    enabled: !empty(resourceActionSubscriptions)
  }
]

var alertedTopics = filter(allAlertedTopics, t => t.enabled)

var alertedMetrics = [
  'DeadLetteredCount'
  'DroppedEventCount'
]

var alertActions = empty(actionGroupId) ? [] : [actionGroup]

var actionGroup = {
  actionGroupId: actionGroupId
}

var alerts = [
  for i in range(0, length(alertedTopics) * length(alertedMetrics)): {
    topic: alertedTopics[i / length(alertedMetrics)].name
    metric: alertedMetrics[i % length(alertedMetrics)]
  }
]

resource undeliveredAlerts 'Microsoft.Insights/metricAlerts@2018-03-01' = [
  for pair in alerts: {
    name: 'alert-${pair.topic}-${toLower(pair.metric)}'
    location: 'global'
    tags: tags
    properties: {
      description: 'spot-drainer: an interruption event of ${pair.topic} was not handled (${pair.metric}); see the dead-letter container ${deadLetterContainerName}.'
      severity: 1
      enabled: true
      scopes: [
        resourceId('Microsoft.EventGrid/systemTopics', pair.topic)
      ]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT5M'
      autoMitigate: true
      criteria: {
        'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
        allOf: [
          {
            criterionType: 'StaticThresholdCriterion'
            name: pair.metric
            metricNamespace: 'Microsoft.EventGrid/systemTopics'
            metricName: pair.metric
            operator: 'GreaterThan'
            threshold: 0
            timeAggregation: 'Total'
          }
        ]
      }
      actions: alertActions
    }
    dependsOn: [
      healthTopic
      maintenanceTopic
      resourceActionTopic
    ]
  }
]

output systemTopicNames array = [for t in alertedTopics: t.name]
