using Runtara.Management.Cli;

return await Cli.RunAsync(args);
