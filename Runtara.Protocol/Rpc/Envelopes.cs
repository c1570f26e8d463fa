using Runtara.Protocol.Rpc;

// The envelopes of the three protocols, made known to the generic RPC layer.
// Kinds follow SPEC §3.2 (one-way requests) and §3.3 (streamed image upload).

namespace Runtara.Protocol.Instance
{
    /// <summary>The request envelope of the instance protocol (SDK to core): one request in a oneof, plus trace context and credential.</summary>
    public sealed partial class RpcRequest : IRpcRequest<RpcRequest>
    {
        /// <inheritdoc />
        public static string ServiceName => "runtara.instance";

        /// <inheritdoc />
        public string MethodName => OneofCaseNames<RequestOneofCase>.Of(RequestCase);

        /// <inheritdoc />
        public RpcKind Kind => RequestCase switch
        {
            RequestOneofCase.SignalAck or RequestOneofCase.RetryAttempt or RequestOneofCase.InstanceEventBatch => RpcKind.OneWay,
            _ => RpcKind.Unary,
        };
    }

    /// <summary>The response envelope of the instance protocol (SDK to core): one response in a oneof, or an <c>RpcError</c>.</summary>
    public sealed partial class RpcResponse : IRpcResponse<RpcResponse>
    {
        /// <inheritdoc />
        public static RpcResponse FromError(string code, string message) =>
            new() { Error = new RpcError { Code = code, Message = message } };

        /// <inheritdoc />
        public bool TryGetError(out string code, out string message)
        {
            (code, message) = ResponseCase == ResponseOneofCase.Error ? (Error.Code, Error.Message) : (string.Empty, string.Empty);
            return ResponseCase == ResponseOneofCase.Error;
        }
    }
}

namespace Runtara.Protocol.Management
{
    /// <summary>The request envelope of the management protocol (environment to core): one request in a oneof, plus trace context and credential.</summary>
    public sealed partial class RpcRequest : IRpcRequest<RpcRequest>
    {
        /// <inheritdoc />
        public static string ServiceName => "runtara.management";

        /// <inheritdoc />
        public string MethodName => OneofCaseNames<RequestOneofCase>.Of(RequestCase);

        /// <inheritdoc />
        public RpcKind Kind => RpcKind.Unary;
    }

    /// <summary>The response envelope of the management protocol (environment to core): one response in a oneof, or an <c>RpcError</c>.</summary>
    public sealed partial class RpcResponse : IRpcResponse<RpcResponse>
    {
        /// <inheritdoc />
        public static RpcResponse FromError(string code, string message) =>
            new() { Error = new RpcError { Code = code, Message = message } };

        /// <inheritdoc />
        public bool TryGetError(out string code, out string message)
        {
            (code, message) = ResponseCase == ResponseOneofCase.Error ? (Error.Code, Error.Message) : (string.Empty, string.Empty);
            return ResponseCase == ResponseOneofCase.Error;
        }
    }
}

namespace Runtara.Protocol.Environment
{
    /// <summary>The request envelope of the environment protocol (clients and the CLI to the environment): one request in a oneof, plus trace context and credential.</summary>
    public sealed partial class RpcRequest : IRpcRequest<RpcRequest>
    {
        /// <inheritdoc />
        public static string ServiceName => "runtara.environment";

        /// <inheritdoc />
        public string MethodName => OneofCaseNames<RequestOneofCase>.Of(RequestCase);

        /// <inheritdoc />
        public RpcKind Kind => RequestCase == RequestOneofCase.RegisterImageStream ? RpcKind.Upload : RpcKind.Unary;
    }

    /// <summary>The response envelope of the environment protocol (clients and the CLI to the environment): one response in a oneof, or an <c>RpcError</c>.</summary>
    public sealed partial class RpcResponse : IRpcResponse<RpcResponse>
    {
        /// <inheritdoc />
        public static RpcResponse FromError(string code, string message) =>
            new() { Error = new RpcError { Code = code, Message = message } };

        /// <inheritdoc />
        public bool TryGetError(out string code, out string message)
        {
            (code, message) = ResponseCase == ResponseOneofCase.Error ? (Error.Code, Error.Message) : (string.Empty, string.Empty);
            return ResponseCase == ResponseOneofCase.Error;
        }
    }
}
