using System.Net;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Transport;

namespace Runtara.Protocol.Tests.Rpc;

/// <summary>
/// The QUIC channel (issue 19): its streams are pooled, and a connection that served calls and died
/// since (the server restarted) is only found out when a stream is opened on it. Fakes stand in for msquic, which this
/// machine lacks; the QUIC transport tests cover the real thing where msquic exists.
/// </summary>
public sealed class MultiplexedChannelTests
{
    [Fact]
    public async Task A_reused_connection_that_cannot_open_a_stream_is_replaced_once()
    {
        var connector = new FakeConnector();
        await using var channel = new MultiplexedChannel(connector, new IPEndPoint(IPAddress.Loopback, 1), maxStreams: 4);
        var first = await channel.AcquireAsync(verifyIdle: false, CancellationToken.None);
        await first.ReleaseAsync(healthy: true);

        // The server restarts: its streams have ended and the connection still looks usable, but
        // opening a stream on it fails.
        ((FakeStream)first.Stream).IsUsable = false;
        connector.Connections[0].Dead = true;
        var second = await channel.AcquireAsync(verifyIdle: false, CancellationToken.None);

        Assert.Equal(2, connector.Connections.Count);
        Assert.Same(connector.Connections[1], second.Connection);
        Assert.False(second.Reused);
        Assert.True(connector.Connections[0].Disposed);
    }

    [Fact]
    public async Task A_new_connection_that_cannot_open_a_stream_fails_without_another_try()
    {
        var connector = new FakeConnector { DeadOnArrival = true };
        await using var channel = new MultiplexedChannel(connector, new IPEndPoint(IPAddress.Loopback, 1), maxStreams: 4);

        await Assert.ThrowsAsync<RpcException>(async () => await channel.AcquireAsync(verifyIdle: false, CancellationToken.None));

        Assert.Single(connector.Connections);
    }

    [Fact]
    public async Task A_returned_stream_is_lent_again_and_one_the_server_ended_is_dropped()
    {
        var connector = new FakeConnector();
        await using var channel = new MultiplexedChannel(connector, new IPEndPoint(IPAddress.Loopback, 1), maxStreams: 4);
        var first = await channel.AcquireAsync(verifyIdle: false, CancellationToken.None);
        await first.ReleaseAsync(healthy: true);

        var second = await channel.AcquireAsync(verifyIdle: false, CancellationToken.None);
        Assert.Same(first.Stream, second.Stream);
        Assert.True(second.Reused);

        // The server finished the stream (as a runtara 1.4.1 server does after each answer).
        ((FakeStream)second.Stream).IsUsable = false;
        await second.ReleaseAsync(healthy: true);
        var third = await channel.AcquireAsync(verifyIdle: false, CancellationToken.None);

        Assert.NotSame(first.Stream, third.Stream);
        Assert.True(((FakeStream)first.Stream).Disposed);
        Assert.Single(connector.Connections);
        Assert.Equal(2, connector.Connections[0].Opened);
    }

    private sealed class FakeConnector : ITransportConnector
    {
        public List<FakeConnection> Connections { get; } = [];

        public bool DeadOnArrival { get; init; }

        public TransportKind Kind => TransportKind.Quic;

        public ValueTask<ITransportConnection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
        {
            var connection = new FakeConnection(endPoint) { Dead = DeadOnArrival };
            Connections.Add(connection);
            return ValueTask.FromResult<ITransportConnection>(connection);
        }
    }

    private sealed class FakeConnection(EndPoint endPoint) : ITransportConnection
    {
        public bool Dead { get; set; }

        public bool Disposed { get; private set; }

        public TransportKind Kind => TransportKind.Quic;

        public EndPoint RemoteEndPoint => endPoint;

        public bool MultiplexesStreams => true;

        public bool IsUsable => !Disposed;

        public ValueTask AuthenticateAsServerAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<IRpcStream?> AcceptStreamAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IRpcStream?>(null);

        public int Opened { get; private set; }

        public ValueTask<IRpcStream> OpenStreamAsync(CancellationToken cancellationToken)
        {
            if (Dead)
            {
                throw new RpcException(RpcErrorCodes.ConnectionClosed, "Connection aborted by peer (0)");
            }

            Opened++;
            return ValueTask.FromResult<IRpcStream>(new FakeStream());
        }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }

    private sealed class FakeStream : IRpcStream
    {
        public Runtara.Protocol.Framing.FrameReader Reader { get; } = new(new System.IO.Pipelines.Pipe().Reader);

        public Runtara.Protocol.Framing.FrameWriter Writer => throw new NotSupportedException();

        public bool IsUsable { get; set; } = true;

        public bool Disposed { get; private set; }

        public void Abort()
        {
        }

        public ValueTask CloseGracefullyAsync(long maxBytes, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
