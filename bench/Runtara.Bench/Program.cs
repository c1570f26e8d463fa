using Runtara.Bench.Commands;
using Runtara.Bench.Infrastructure;

// One command per workload; each lives in Commands/ and is listed here.
IBenchCommand[] commands =
[
    new RpcCommand(),
    new FramesCommand(),
    new CoreCheckpointsCommand(),
    new W3ProcessCommand(),
    new WaitWakeCommand(),
    new W1Command(),
    new W2Command(),
    new W3Command(),
    new IdleConnectionsCommand(),
];

// The commands that host only a core run it as its process does (Runtara.Core/Program.cs): with
// inline socket completions. w3-process also hosts the environment, whose process does not;
// wait-wake runs both as their own processes.
if (args is [var name, ..] && name.ToLowerInvariant() is "core-checkpoints" or "w1" or "w2" or "w3")
{
    Runtara.Protocol.Transport.SocketThreads.EnableInlineCompletions();
}

return await BenchHost.RunAsync(commands, args);
