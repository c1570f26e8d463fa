using Runtara.Samples.BatchJob;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddServiceDefaults();
builder.AddRuntaraInstance("runtara-core");
builder.Services.AddSingleton<InvoiceRenderer>();
builder.Services.AddSingleton<BatchJob>();
using var host = builder.Build();

var job = host.Services.GetRequiredService<BatchJob>();
return await host.RunRuntaraWorkflowAsync(job.RunAsync, BatchJson.Default.BatchInput, BatchJson.Default.BatchResult);
