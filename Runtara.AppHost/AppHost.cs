using Microsoft.Extensions.Configuration;

// The Runtara platform as one Aspire application. `dotnet run --project Runtara.AppHost` starts the
// core, the environment, registers the samples as images, runs one batch job to completion, fires the
// quote every minute, and serves
// the dashboard at http://127.0.0.1:18888 (Properties/launchSettings.json). See docs/aspire.md.
//
// Settings (appsettings.json, user secrets, environment or command line):
//   ConnectionStrings:runtara-postgres   PostgreSQL for core and environment; SQLite files when absent
//   Runtara:AppHost:FixedPorts           false = let Aspire pick the protocol ports instead of 8001/8002/8003
//   Runtara:AppHost:DataDirectory        where core/ and environment/ keep their data (default .runtara/ here)
//   Runtara:AppHost:CoreReplicas         cores serving the same instances (default 1; more need runtara-postgres)
//   Runtara:AppHost:EnvironmentReplicas  environments sharing the runs (default 1; more need runtara-postgres)
//   Parameters:core-token-key            secret: HMAC key of the instance and service tokens
//   Parameters:environment-api-key       secret: the environment's API key (the CLI's RUNTARA_API_KEY)
// The two secrets are generated on the first run and kept in the AppHost's user secrets (docs/aspire.md).
var builder = DistributedApplication.CreateBuilder(args);

var fixedPorts = builder.Configuration.GetValue("Runtara:AppHost:FixedPorts", true);
var core = builder.AddRuntaraCore("core",
    instancePort: fixedPorts ? RuntaraPorts.Instance : null,
    managementPort: fixedPorts ? RuntaraPorts.Management : null);
var environment = builder.AddRuntaraEnvironment("environment", port: fixedPorts ? RuntaraPorts.Environment : null)
    .WithReference(core);

var dataDirectory = builder.Configuration["Runtara:AppHost:DataDirectory"];
if (!string.IsNullOrEmpty(dataDirectory))
{
    core.WithDataDirectory(Path.Combine(dataDirectory, "core"));
    environment.WithDataDirectory(Path.Combine(dataDirectory, "environment"));
}

// Only a configured connection string adds PostgreSQL; nothing here needs a container runtime.
var hasPostgres = !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("runtara-postgres"));
if (hasPostgres)
{
    var postgres = builder.AddConnectionString("runtara-postgres");
    core.WithPostgres(postgres);
    environment.WithPostgres(postgres);
}

// Replicas (docs/deployment.md): core-2…, environment-2… as resources of their own on the same database.
// With fixed ports the n-th replica adds (n-1)*100 to each port: core-2 on 8101/8103, environment-2 on 8102.
var coreReplicas = builder.Configuration.GetValue("Runtara:AppHost:CoreReplicas", 1);
var environmentReplicas = builder.Configuration.GetValue("Runtara:AppHost:EnvironmentReplicas", 1);
if (coreReplicas < 1 || environmentReplicas < 1)
{
    throw new InvalidOperationException("Runtara:AppHost:CoreReplicas and Runtara:AppHost:EnvironmentReplicas must be at least 1.");
}

if ((coreReplicas > 1 || environmentReplicas > 1) && !hasPostgres)
{
    throw new InvalidOperationException(
        "Runtara:AppHost:CoreReplicas and Runtara:AppHost:EnvironmentReplicas above 1 need ConnectionStrings:runtara-postgres: replicas share one PostgreSQL database.");
}

for (var n = 2; n <= coreReplicas; n++)
{
    var offset = (n - 1) * 100;
    var replica = core.AddReplica($"core-{n}",
        instancePort: fixedPorts ? RuntaraPorts.Instance + offset : null,
        managementPort: fixedPorts ? RuntaraPorts.Management + offset : null);
    if (!string.IsNullOrEmpty(dataDirectory))
    {
        replica.WithDataDirectory(Path.Combine(dataDirectory, replica.Resource.Name));
    }
}

for (var n = 2; n <= environmentReplicas; n++)
{
    var replica = environment.AddReplica($"environment-{n}", port: fixedPorts ? RuntaraPorts.Environment + ((n - 1) * 100) : null);
    if (!string.IsNullOrEmpty(dataDirectory))
    {
        replica.WithDataDirectory(Path.Combine(dataDirectory, replica.Resource.Name));
    }
}

// The samples as images: the batch job runs once at start-up (50 items); the order workflow is started
// from the dashboard ("Start instance") and then waits for its approval signal (send it with the
// instance's "Send signal" command: approve, {"approved":true,"approvedBy":"ann"}); it then ships and
// sleeps durably before its review reminder: 3 days by default, 30 seconds here so that it completes
// while you watch ("reminderAfter" of its input, the Order record in the sample); the quote (the native
// AOT sample, registered here as its JIT build output so that start-up stays fast and needs no C
// toolchain; .WithNativeAot() would publish it ahead of time) completes its one step as soon as it starts.
environment.AddImage<Projects.Runtara_Samples_BatchJob>("batch-job")
    .WithInput("""{"items":50,"workMs":10,"progressEvery":10}""")
    .WithStartOnRegistration();
environment.AddImage<Projects.Runtara_Samples_OrderWorkflow>("order-workflow")
    .WithInput("""{"orderId":"order-aspire","customerEmail":"ada@example.com","reminderAfter":"00:00:30"}""");
// The quote also runs on a schedule (docs/operations.md "Schedules"): at second 0 of every minute, so its
// fires show up under it while you watch; the resource shows the schedule and its next fire time.
environment.AddImage<Projects.Runtara_Samples_NativeAot>("quote")
    .WithInput("""{"sku":"sku-42","quantity":3}""")
    .WithSchedule("0 * * * * *");

builder.Build().Run();
