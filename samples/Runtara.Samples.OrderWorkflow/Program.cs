using Runtara.Samples.OrderWorkflow;

// Three modes:
//   (default)                   run the order workflow as the instance named by RUNTARA_INSTANCE_ID (launch contract)
//   approve <instance> [who] [--key=value ...]
//                               act as the approver: send the custom signal "approve" to a waiting order
//                               through an environment: its connection string (ConnectionStrings__environment,
//                               as the AppHost gives it) or the runtara CLI's RUNTARA_* settings (Approver.cs)
//   token <instance> <tenant>   development: print an instance token minted from the core's key file
if (args is ["approve", var instanceId, .. var rest])
{
    var approvedBy = rest is [var who, ..] && !who.StartsWith("--", StringComparison.Ordinal) ? who : "ops@example.com";
    return await Approver.SendAsync(instanceId, approvedBy, [.. rest.SkipWhile(a => !a.StartsWith("--", StringComparison.Ordinal))]);
}

if (args is ["token", var tokenInstance, var tokenTenant])
{
    // Development: print an instance token for running a sample straight against a core.
    Console.WriteLine(DevTokens.Instance(tokenInstance, tokenTenant));
    return 0;
}

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddServiceDefaults();
builder.AddRuntaraInstance("runtara-core");
builder.Services.AddSingleton<Inventory>();
builder.Services.AddSingleton<Payments>();
builder.Services.AddSingleton<Shipping>();
builder.Services.AddSingleton<Notifications>();
builder.Services.AddSingleton<OrderWorkflow>();
using var host = builder.Build();

var workflow = host.Services.GetRequiredService<OrderWorkflow>();
return await host.RunRuntaraWorkflowAsync(workflow.RunAsync, OrderJson.Default.Order, OrderJson.Default.OrderResult);
