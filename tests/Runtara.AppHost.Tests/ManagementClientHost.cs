using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Runtara.AppHost.Tests;

/// <summary>A host whose <see cref="Runtara.Management.RuntaraManagementClient"/> is configured from an environment's connection string, as a client application configures it.</summary>
internal static class ManagementClientHost
{
    public static IHost For(string? connectionString)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:environment"] = connectionString;
        builder.Configuration["Runtara:Management:TenantId"] = "aspire";
        builder.AddRuntaraManagementClient("environment");
        return builder.Build();
    }
}
