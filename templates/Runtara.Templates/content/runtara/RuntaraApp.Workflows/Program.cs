using RuntaraApp.Workflows;
using Runtara.Sdk;

// One process per instance: the environment passes the launch contract in environment variables
// (instance id, core address, credentials, input.json); the outcome goes to the core and output.json.
return await RuntaraWorkflow.RunAsync(FirstWorkflow.RunAsync, WorkflowJson.Default.OrderRequest, WorkflowJson.Default.OrderResult);
