using Microsoft.Extensions.Configuration;
using Runtara.Management;

namespace Runtara.Samples.OrderWorkflow;

/// <summary>
/// The approver's side: sends the custom signal <c>approve</c> with an <see cref="Approval"/> to an order
/// instance through an environment, with the typed management client
/// (<see cref="RuntaraManagementClient.SendSignalAsync{T}"/>). Which environment, read from environment
/// variables and <c>--key=value</c> settings after the command:
/// <list type="bullet">
/// <item>the environment's connection string <c>ConnectionStrings:environment</c> (environment variable
/// <c>ConnectionStrings__environment</c>), as an Aspire AppHost gives it to the resources that reference the
/// environment: <c>Endpoint=tcp://127.0.0.1:8002;PinnedCertificatePath=…;ApiKey=…</c> (the dashboard shows it
/// on the environment resource), with <c>Runtara:Management:TenantId</c> for a tenant;</item>
/// <item>or the <c>runtara</c> CLI's variables (<see cref="ManagementClientOptions.FromEnvironment"/>):
/// <c>RUNTARA_ENVIRONMENT_ADDR</c>, <c>RUNTARA_TLS_PINNED_CERT</c>, <c>RUNTARA_API_KEY</c>, <c>RUNTARA_TENANT_ID</c>.</item>
/// </list>
/// With neither it says so and exits with 2 instead of guessing an address and a certificate.
/// </summary>
public static class Approver
{
    /// <summary>The signal's name: the wait point of <see cref="OrderWorkflow"/>.</summary>
    public const string Signal = "approve";

    /// <summary>The connection-string name of the environment (the AppHost's environment resource).</summary>
    public const string ConnectionName = "environment";

    /// <summary>Exit code when no environment is configured or the configuration is unusable.</summary>
    public const int ConfigurationError = 2;

    private static readonly string[] CliVariables = ["RUNTARA_ENVIRONMENT_ADDR", "RUNTARA_TLS_PINNED_CERT", "RUNTARA_API_KEY"];

    private const string Help = """
        approve: no environment to send the signal through. Give one of:
          - the environment's connection string (under the AppHost: the dashboard shows it on the 'environment' resource):
              ConnectionStrings__environment='Endpoint=tcp://127.0.0.1:8002;PinnedCertificatePath=<...>/tls/runtara-dev.crt;ApiKey=<...>'
            or --ConnectionStrings:environment=<...> after the command (add --Runtara:Management:TenantId=<tenant> for a scoped key);
          - or the runtara CLI's variables: RUNTARA_ENVIRONMENT_ADDR, RUNTARA_TLS_PINNED_CERT, RUNTARA_API_KEY, RUNTARA_TENANT_ID.
        Under the AppHost the simplest route is the dashboard: the order's instance under 'order-workflow', command "Send signal".
        See samples/README.md and docs/aspire.md.
        """;

    /// <param name="instanceId">The waiting order instance.</param>
    /// <param name="approvedBy">Who approves (the <see cref="Approval.ApprovedBy"/> of the payload).</param>
    /// <param name="settings"><c>--key=value</c> settings (over the environment variables).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public static async Task<int> SendAsync(string instanceId, string approvedBy, IReadOnlyList<string> settings, CancellationToken cancellationToken = default)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine([.. settings]).Build();
        ManagementClientOptions? options;
        try
        {
            options = ClientOptions(configuration);
        }
        catch (ManagementConfigurationException ex)
        {
            await Console.Error.WriteLineAsync($"approve: {ex.Message}");
            return ConfigurationError;
        }

        if (options is null)
        {
            await Console.Error.WriteLineAsync(Help);
            return ConfigurationError;
        }

        if (options.PinnedCertificatePath is { Length: > 0 } certificate && !File.Exists(certificate))
        {
            await Console.Error.WriteLineAsync($"approve: the certificate to pin, {certificate}, does not exist (is the environment running, and is this its data directory?).");
            return ConfigurationError;
        }

        try
        {
            await using var client = new RuntaraManagementClient(options);
            await client.SendSignalAsync(instanceId, Signal, new Approval(true, approvedBy, "looks good"), OrderJson.Default.Approval, cancellationToken: cancellationToken);
        }
        catch (ManagementException ex)
        {
            await Console.Error.WriteLineAsync($"approve: {ex.Code}: {ex.Message} (environment {options.Address})");
            return 1;
        }

        Console.WriteLine($"Sent '{Signal}' to {instanceId} as {approvedBy} through {options.Address}.");
        return 0;
    }

    /// <summary>The client's settings from the configuration, or null when nothing in it names an environment.</summary>
    public static ManagementClientOptions? ClientOptions(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connectionString = configuration.GetConnectionString(ConnectionName);
        var section = configuration.GetSection(ManagementClientOptions.SectionName);
        if (string.IsNullOrWhiteSpace(connectionString) && !section.Exists() && !CliVariables.Any(name => !string.IsNullOrEmpty(configuration[name])))
        {
            return null;
        }

        // The CLI's variables first, then the connection string, then Runtara:Management keys over both.
        var options = ManagementClientOptions.FromEnvironment(name => configuration[name]);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            ManagementConnectionString.Apply(connectionString, options);
        }

        options.Address = section[nameof(ManagementClientOptions.Address)] ?? options.Address;
        options.PinnedCertificatePath = section[nameof(ManagementClientOptions.PinnedCertificatePath)] ?? options.PinnedCertificatePath;
        options.ApiKey = section[nameof(ManagementClientOptions.ApiKey)] ?? options.ApiKey;
        options.TenantId = section[nameof(ManagementClientOptions.TenantId)] ?? options.TenantId;
        return options;
    }
}
