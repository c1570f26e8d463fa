using Microsoft.Extensions.Logging;
using Npgsql;
using Runtara.Engine.Diagnostics;

namespace Runtara.Engine.Storage.Postgres;

/// <summary>
/// Carries wake-up pulses between the cores of one PostgreSQL database (docs/core.md "Several
/// cores"): a write that makes something due runs <c>pg_notify</c> on <see cref="Channel"/> in its
/// own transaction (<see cref="IStoreWriter.NotifyWakeupAsync"/>; PostgreSQL delivers it at commit,
/// and never for a rolled-back one), and every core listens here on one connection of its own and
/// pulses its <see cref="Waits.WakeupNotifier"/>, so a long-polling ListDueWakeups on any core answers
/// at once. The connection is reopened after a failure (with backoff), with a pulse then, since
/// notifications sent while nobody listened are lost; the recheck interval stays the backstop.
/// </summary>
internal sealed class PostgresWakeupListener : IAsyncDisposable
{
    /// <summary>The NOTIFY channel of wake-up pulses.</summary>
    public const string Channel = "runtara_wakeup";

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _dataSource;
    private readonly Action _onWakeup;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public PostgresWakeupListener(string connectionString, Action onWakeup, ILogger logger)
    {
        // Its own unpooled connection: a LISTEN must not go back to a pool other commands borrow from,
        // and keep-alives let a server that went away be noticed while the connection only waits.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 15 };
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        _onWakeup = onWakeup;
        _logger = logger;
    }

    /// <summary>Starts listening in the background; returns once the first LISTEN is in place (or failed, then retried).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop = Task.Run(() => RunAsync(listening, _stop.Token), CancellationToken.None);
        await Task.WhenAny(listening.Task, Task.Delay(TimeSpan.FromSeconds(10), cancellationToken)).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(TaskCompletionSource listening, CancellationToken stop)
    {
        var backoff = FirstBackoff;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var connection = await _dataSource.OpenConnectionAsync(stop).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    connection.Notification += (_, _) => _onWakeup();
                    var listen = new NpgsqlCommand($"LISTEN {Channel}", connection);
                    await using (listen.ConfigureAwait(false))
                    {
                        await listen.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                    }

                    listening.TrySetResult();

                    // Whatever became due while no connection listened is looked at now.
                    _onWakeup();
                    backoff = FirstBackoff;
                    while (true)
                    {
                        await connection.WaitAsync(stop).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                listening.TrySetResult();
                Log.WakeupListenerFailed(_logger, backoff, ex);
                try
                {
                    await Task.Delay(backoff, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = backoff * 2 < MaxBackoff ? backoff * 2 : MaxBackoff;
            }
        }
    }
}
