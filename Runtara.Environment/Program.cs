// Runtara environment: the environment protocol (8002), images, instance processes and background workers.
// Configuration keys are listed in docs/environment.md.
// Settings are read once, as in the core: reload-on-change watches the content root recursively, and the
// default data directory (./data: images, run directories, instance logs) lies beneath it.
var builder = WebApplication.CreateBuilder(["--hostBuilder:reloadConfigOnChange=false", .. args]);

builder.AddServiceDefaults();
builder.AddRuntaraEnvironment();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
