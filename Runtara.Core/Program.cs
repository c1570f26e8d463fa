// Runtara core: the instance protocol (8001) and management protocol (8003) over durable storage.
// Configuration keys are listed in docs/core.md.
// Socket continuations run on the socket threads (one thread hand-off less per RPC); reads and
// anything else that may block leave them first (Runtara.Protocol SocketThreads). Must precede
// the first socket; DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0 turns it off.
Runtara.Protocol.Transport.SocketThreads.EnableInlineCompletions();

// Settings are read once: reload-on-change watches the content root recursively, and the default
// data directory (./data) lies beneath it, so every SQLite WAL write would wake the file watcher.
// Given first, so a --hostBuilder:reloadConfigOnChange=true on the command line still wins.
var builder = WebApplication.CreateBuilder(["--hostBuilder:reloadConfigOnChange=false", .. args]);

builder.AddServiceDefaults();
builder.AddRuntaraCore();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
