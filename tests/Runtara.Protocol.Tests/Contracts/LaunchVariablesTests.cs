using System.Reflection;
using Runtara.Protocol.Contracts;

namespace Runtara.Protocol.Tests.Contracts;

/// <summary>The launch variables are the ones docs/instance-contract.md names: the page and the code cannot drift apart.</summary>
public sealed class LaunchVariablesTests
{
    private static IEnumerable<string> Names() =>
        typeof(LaunchVariables).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetRawConstantValue()!);

    [Fact]
    public void Every_launch_variable_is_documented_in_the_contract()
    {
        var page = File.ReadAllText(Path.Combine(Repository.Root, "docs", "instance-contract.md"));

        Assert.All(Names(), name => Assert.Contains($"`{name}`", page, StringComparison.Ordinal));
    }

    [Fact]
    public void Launch_variable_names_are_distinct()
    {
        Assert.Equal(Names().Count(), Names().Distinct(StringComparer.Ordinal).Count());
    }
}
