using Runtara.Management;

namespace Runtara.Samples.OrderWorkflow;

/// <summary>
/// The approver's side: sends the custom signal <c>approve</c> with an <see cref="Approval"/> to an
/// order instance through an environment, with the typed management client configured as the
/// <c>runtara</c> CLI is (<see cref="ManagementClientOptions.FromEnvironment"/>): <c>RUNTARA_ENVIRONMENT_ADDR</c>
/// (default 127.0.0.1:8002), <c>RUNTARA_TLS_PINNED_CERT</c> (the environment's certificate), <c>RUNTARA_API_KEY</c>
/// (read next to a development certificate when unset) and <c>RUNTARA_TENANT_ID</c>.
/// </summary>
public static class Approver
{
    /// <summary>The signal's name: the wait point of <see cref="OrderWorkflow"/>.</summary>
    public const string Signal = "approve";

    public static async Task<int> SendAsync(string instanceId, string approvedBy, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var client = new RuntaraManagementClient(ManagementClientOptions.FromEnvironment());
            await client.SendSignalAsync(instanceId, Signal, new Approval(true, approvedBy, "looks good"), OrderJson.Default.Approval, cancellationToken: cancellationToken);
        }
        catch (ManagementException ex)
        {
            await Console.Error.WriteLineAsync($"approve: {ex.Code}: {ex.Message}");
            return 1;
        }

        Console.WriteLine($"Sent '{Signal}' to {instanceId} as {approvedBy}.");
        return 0;
    }
}
