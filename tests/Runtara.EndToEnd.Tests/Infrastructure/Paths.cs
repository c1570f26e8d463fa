namespace Runtara.EndToEnd.Tests.Infrastructure;

/// <summary>Where the built programs are (same configuration as the tests).</summary>
public static class Paths
{
    public static string Root => Repository.Root;

    public static string Configuration => Repository.Configuration;

    public static string CoreDll => Output("Runtara.Core", "Runtara.Core.dll");

    public static string EnvironmentDll => Output("Runtara.Environment", "Runtara.Environment.dll");

    /// <summary>The `runtara` executable (apphost) of Runtara.Management.Cli.</summary>
    public static string Cli => Output("Runtara.Management.Cli", "runtara");

    public static string TestInstanceFolder => Path.GetDirectoryName(Output(Path.Combine("tests", "Runtara.TestInstance"), "Runtara.TestInstance.dll"))!;

    /// <summary>The SDK test workflow (tests/Runtara.Sdk.TestWorkflow: counted steps with delays), framework-dependent.</summary>
    public static string SdkTestWorkflowFolder => Path.GetDirectoryName(Output(Path.Combine("tests", "Runtara.Sdk.TestWorkflow"), "Runtara.Sdk.TestWorkflow.dll"))!;

    public static string OrderWorkflowFolder => Path.GetDirectoryName(Output(Path.Combine("samples", "Runtara.Samples.OrderWorkflow"), "Runtara.Samples.OrderWorkflow.dll"))!;

    private static string Output(string project, string file)
    {
        var path = Path.Combine(Root, project, "bin", Configuration, "net10.0", file);
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is not built; build Runtara.sln first.");
    }
}
