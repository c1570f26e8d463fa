// The Runtara platform as one Aspire application. `dotnet run --project Runtara.AppHost` starts every
// resource declared here and the dashboard at http://127.0.0.1:18888 (Properties/launchSettings.json).
//
// Walking skeleton: no resources yet. The core (instance protocol 8001, management protocol 8003),
// the environment (environment protocol 8002) and the samples are added here by the issues that
// build them, through Runtara.Hosting's AddRuntaraCore / AddRuntaraEnvironment (docs/architecture.md).
var builder = DistributedApplication.CreateBuilder(args);

builder.Build().Run();
