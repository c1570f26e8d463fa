using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Runtara.Hosting.Tests;

/// <summary>Reads what a resource would be started with, without starting anything.</summary>
internal static class ModelHelpers
{
    internal static async Task<Dictionary<string, string>> VariablesAsync(IResource resource)
    {
        var result = await ExecutionConfigurationBuilder.Create(resource)
            .WithEnvironmentVariablesConfig()
            .BuildAsync(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);
        return result.EnvironmentVariables.ToDictionary(v => v.Key, v => v.Value);
    }

    internal static EndpointAnnotation Endpoint(IResource resource, string name) =>
        Assert.Single(resource.Annotations.OfType<EndpointAnnotation>(), e => e.Name == name);

    /// <summary>What DCP does at start: every endpoint gets an address (values that reference an endpoint wait for it).</summary>
    internal static void AllocateAll(params IResource[] resources)
    {
        var next = 40000;
        foreach (var endpoint in resources.SelectMany(r => r.Annotations.OfType<EndpointAnnotation>()))
        {
            // DCP gives a non-proxied endpoint the IP address it targets as its host (localhost when none).
            endpoint.AllocatedEndpoint = new AllocatedEndpoint(endpoint, endpoint.TargetHost, endpoint.Port ?? next++);
        }
    }
}
