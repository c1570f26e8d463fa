var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRuntaraEnvironment();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
