using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Runtara.Core.Hosting;

namespace Runtara.Testing.Core;

/// <summary>A core started in the test process and the endpoints it published.</summary>
public sealed record CoreApp(WebApplication App, CoreEndpoints Endpoints)
{
    /// <summary>The HTTP address of <c>/health</c> and <c>/alive</c>.</summary>
    public Uri HttpAddress => new(App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>
    /// Composes a core exactly as its Program.cs does (AddServiceDefaults, AddRuntaraCore,
    /// MapDefaultEndpoints) on loopback port 0 over TLS/TCP, storing in <paramref name="dataDirectory"/>;
    /// <paramref name="settings"/> override or add configuration. Logs go nowhere unless
    /// <paramref name="logging"/> adds a provider.
    /// </summary>
    public static async Task<CoreApp> StartAsync(string dataDirectory, IDictionary<string, string?>? settings = null, Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory });
        var configuration = new Dictionary<string, string?>
        {
            ["Runtara:Core:InstancePort"] = "0",
            ["Runtara:Core:ManagementPort"] = "0",
            ["Runtara:Core:BindAddress"] = "127.0.0.1",
            ["Runtara:Core:Transport"] = "Tcp",
            ["Runtara:Core:DataDirectory"] = dataDirectory,
            ["Runtara:Core:ShutdownTimeout"] = "00:00:02",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        logging?.Invoke(builder.Logging);
        builder.AddServiceDefaults();
        builder.AddRuntaraCore();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        try
        {
            await app.StartAsync();
            return new CoreApp(app, CoreEndpoints.TryRead(dataDirectory) ?? throw new InvalidOperationException("The core did not publish its endpoints."));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public async ValueTask StopAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
