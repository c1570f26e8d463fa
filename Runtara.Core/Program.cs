// Runtara core: the instance protocol (8001) and management protocol (8003) over durable storage.
// Configuration keys are listed in docs/core.md.
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRuntaraCore();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
