using Runtara.Samples.NativeAot;
using Runtara.Sdk;

// No generic host and no reflection: the launch contract comes from the environment variables the
// environment sets, and JSON from the source-generated context, so the whole program compiles ahead
// of time.
return await RuntaraWorkflow.RunAsync(QuoteWorkflow.RunAsync, QuoteJson.Default.QuoteRequest, QuoteJson.Default.Quote);
