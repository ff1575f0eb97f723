// What an operator watches: an alert when a drain misses its interruption deadline, and (optional) a
// workbook of interruptions, time to cordon, deadlines met and missed, evictions and drain durations.
// Both read the metric lines the function writes to Application Insights (`traces`, one JSON object
// per line: {"metric":…,"value":…,"unit":…,"dimensions":{…}}; docs/metrics.md). Deployed into the
// spot-drainer resource group by ../main.bicep.
targetScope = 'resourceGroup'

param location string

@minLength(3)
@maxLength(11)
param namePrefix string

param tags object

@description('Application Insights component the function writes its telemetry to (modules/app.bicep).')
param appInsightsName string

@description('Action group of the missed-deadline alert; empty = alert without action.')
param actionGroupId string = ''

@description('Create the Azure Monitor workbook.')
param createWorkbook bool = true

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// ---------------------------------------------------------------------------------------------------
// Queries (KQL over the function's metric lines; test/unit/infra/monitoring.test.ts checks every metric
// and dimension they name against what the function writes)
// ---------------------------------------------------------------------------------------------------

// Every metric line as a row: metric, value and each dimension as a column.
var metricLines = 'traces\n| where message startswith \'{"metric":\'\n| extend line = parse_json(message)\n| extend metric = tostring(line.metric), value = todouble(line.value), cluster = tostring(line.dimensions.cluster), cloud = tostring(line.dimensions.cloud), kind = tostring(line.dimensions.kind), outcome = tostring(line.dimensions.outcome), result = tostring(line.dimensions.result)'

var queries = {
  interruptions: '${metricLines}\n| where metric == \'Interruptions\'\n| summarize interruptions = sum(value) by bin(timestamp, {TimeRange:grain}), outcome'
  timeToCordon: '${metricLines}\n| where metric == \'TimeToCordon\'\n| summarize p50 = percentile(value, 50), p95 = percentile(value, 95), max = max(value) by bin(timestamp, {TimeRange:grain})'
  deadlines: '${metricLines}\n| where metric == \'DeadlinesMissed\'\n| summarize missed = sum(value), met = todouble(count()) - sum(value) by bin(timestamp, {TimeRange:grain})'
  evictions: '${metricLines}\n| where metric == \'Evictions\'\n| summarize pods = sum(value) by bin(timestamp, {TimeRange:grain}), result'
  drainDuration: '${metricLines}\n| where metric == \'DrainDuration\'\n| summarize p50 = percentile(value, 50), p95 = percentile(value, 95), max = max(value) by bin(timestamp, {TimeRange:grain})'
  byCluster: '${metricLines}\n| summarize interruptions = sumif(value, metric == \'Interruptions\'), deadlinesMissed = sumif(value, metric == \'DeadlinesMissed\'), deadlinesMet = countif(metric == \'DeadlinesMissed\' and value == 0) by cluster, kind\n| order by interruptions desc'
}

// One row per missed deadline; the rule adds them up per cluster.
var deadlinesMissedQuery = '${metricLines}\n| where metric == \'DeadlinesMissed\' and value > 0\n| project timestamp, cluster, value'

// ---------------------------------------------------------------------------------------------------
// Alert: a drain missed its deadline (pods were still on the node when the machine went away)
// ---------------------------------------------------------------------------------------------------

resource deadlinesMissedAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${namePrefix}-deadlines-missed'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'spot-drainer: drain deadline missed (${namePrefix})'
    description: 'spot-drainer could not drain a node before its interruption deadline: pods were still on it when the machine went away. See the report in the function\'s traces (docs/metrics.md).'
    severity: 2
    enabled: true
    scopes: [
      appInsights.id
    ]
    // Application Insights ingestion can take minutes: a 15-minute window evaluated every 5 minutes
    // sees each line in time (the alert stays fired across the windows that hold it).
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    autoMitigate: true
    criteria: {
      allOf: [
        {
          query: deadlinesMissedQuery
          timeAggregation: 'Total'
          metricMeasureColumn: 'value'
          dimensions: [
            {
              name: 'cluster'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: empty(actionGroupId) ? [] : [actionGroupId]
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Workbook (Azure Monitor > Workbooks, or the Application Insights resource's Workbooks blade)
// ---------------------------------------------------------------------------------------------------

var timeRange = {
  type: 9
  name: 'parameters'
  content: {
    version: 'KqlParameterItem/1.0'
    parameters: [
      {
        id: 'b7c3c1d2-5b8e-4a8e-9f7e-2f1d6c0a4e11'
        version: 'KqlParameterItem/1.0'
        name: 'TimeRange'
        label: 'Time range'
        type: 4
        isRequired: true
        value: {
          durationMs: 86400000
        }
        typeSettings: {
          selectableValues: [
            {
              durationMs: 3600000
            }
            {
              durationMs: 86400000
            }
            {
              durationMs: 604800000
            }
            {
              durationMs: 2592000000
            }
          ]
        }
      }
    ]
  }
}

var charts = [
  {
    name: 'interruptions'
    title: 'Interruptions, by outcome'
    visualization: 'barchart'
  }
  {
    name: 'timeToCordon'
    title: 'Time to cordon (ms)'
    visualization: 'timechart'
  }
  {
    name: 'deadlines'
    title: 'Deadlines met and missed'
    visualization: 'barchart'
  }
  {
    name: 'evictions'
    title: 'Pods, by eviction result'
    visualization: 'barchart'
  }
  {
    name: 'drainDuration'
    title: 'Drain duration (ms)'
    visualization: 'timechart'
  }
  {
    name: 'byCluster'
    title: 'By cluster and interruption kind'
    visualization: 'table'
  }
]

var intro = {
  type: 1
  name: 'intro'
  content: {
    json: '## spot-drainer\nInterruptions handled, how fast nodes were cordoned, and whether drains met the interruption deadline, from the metric lines the function writes (docs/metrics.md).'
  }
}

var chartItems = [
  for chart in charts: {
    type: 3
    name: chart.name
    content: {
      version: 'KqlItem/1.0'
      title: chart.title
      query: queries[chart.name]
      queryType: 0
      resourceType: 'microsoft.insights/components'
      timeContextFromParameter: 'TimeRange'
      visualization: chart.visualization
      size: 0
    }
    customWidth: chart.name == 'byCluster' ? '100' : '50'
  }
]

var workbookContent = {
  version: 'Notebook/1.0'
  items: concat([intro, timeRange], chartItems)
  fallbackResourceIds: [
    appInsights.id
  ]
  '$schema': 'https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json'
}

resource workbook 'Microsoft.Insights/workbooks@2021-08-01' = if (createWorkbook) {
  name: guid(resourceGroup().id, namePrefix, 'spot-drainer-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'spot-drainer (${namePrefix})'
    category: 'workbook'
    sourceId: appInsights.id
    serializedData: string(workbookContent)
  }
}

output deadlinesMissedAlertName string = deadlinesMissedAlert.name
output workbookId string = createWorkbook ? workbook.id : ''
