using Microsoft.Extensions.Configuration;

// The platform as one Aspire application: `dotnet run --project RuntaraApp.AppHost` starts a Runtara core
// and environment and serves the dashboard at http://127.0.0.1:18888 (Properties/launchSettings.json).
//
// Settings (appsettings.json, user secrets, environment or command line):
//   ConnectionStrings:runtara-postgres   PostgreSQL for core and environment; SQLite files in .runtara/ when absent
var builder = DistributedApplication.CreateBuilder(args);

var core = builder.AddRuntaraCore("core");
var environment = builder.AddRuntaraEnvironment("environment")
    .WithReference(core);

#if (postgres)
// PostgreSQL for both (a database of its own or one shared; the connection string is required).
var postgres = builder.AddConnectionString("runtara-postgres");
core.WithPostgres(postgres);
environment.WithPostgres(postgres);
#else
// SQLite files by default; with ConnectionStrings:runtara-postgres set, PostgreSQL instead.
if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("runtara-postgres")))
{
    var postgres = builder.AddConnectionString("runtara-postgres");
    core.WithPostgres(postgres);
    environment.WithPostgres(postgres);
}
#endif
#if (sample)

// The first workflow as an image: registered at start-up, started from the dashboard ("Start instance"),
// then waiting for its "approve" signal (the instance's "Send signal" command).
#if (aot)
environment.AddImage<Projects.RuntaraApp_Workflows>("first-workflow")
    .WithNativeAot()
    .WithInput("""{"orderId":"order-1","reminderAfter":"00:00:10"}""");
#else
environment.AddImage<Projects.RuntaraApp_Workflows>("first-workflow")
    .WithInput("""{"orderId":"order-1","reminderAfter":"00:00:10"}""");
#endif
#endif

builder.Build().Run();
