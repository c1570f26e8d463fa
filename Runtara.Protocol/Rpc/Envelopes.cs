using Runtara.Protocol.Rpc;

// The envelopes of the three protocols, made known to the generic RPC layer.
// Kinds follow SPEC §3.2 (one-way requests) and §3.3 (streamed image upload).

namespace Runtara.Protocol.Instance
{
    public sealed partial class RpcRequest : IRpcRequest<RpcRequest>
    {
        public static string ServiceName => "runtara.instance";

        public string MethodName => RequestCase == RequestOneofCase.None ? string.Empty : RequestCase.ToString();

        public RpcKind Kind => RequestCase switch
        {
            RequestOneofCase.SignalAck or RequestOneofCase.RetryAttempt or RequestOneofCase.InstanceEventBatch => RpcKind.OneWay,
            _ => RpcKind.Unary,
        };
    }

    public sealed partial class RpcResponse : IRpcResponse<RpcResponse>
    {
        public static RpcResponse FromError(string code, string message) =>
            new() { Error = new RpcError { Code = code, Message = message } };

        public bool TryGetError(out string code, out string message)
        {
            (code, message) = ResponseCase == ResponseOneofCase.Error ? (Error.Code, Error.Message) : (string.Empty, string.Empty);
            return ResponseCase == ResponseOneofCase.Error;
        }
    }
}

namespace Runtara.Protocol.Management
{
    public sealed partial class RpcRequest : IRpcRequest<RpcRequest>
    {
        public static string ServiceName => "runtara.management";

        public string MethodName => RequestCase == RequestOneofCase.None ? string.Empty : RequestCase.ToString();

        public RpcKind Kind => RpcKind.Unary;
    }

    public sealed partial class RpcResponse : IRpcResponse<RpcResponse>
    {
        public static RpcResponse FromError(string code, string message) =>
            new() { Error = new RpcError { Code = code, Message = message } };

        public bool TryGetError(out string code, out string message)
        {
            (code, message) = ResponseCase == ResponseOneofCase.Error ? (Error.Code, Error.Message) : (string.Empty, string.Empty);
            return ResponseCase == ResponseOneofCase.Error;
        }
    }
}

namespace Runtara.Protocol.Environment
{
    public sealed partial class RpcRequest : IRpcRequest<RpcRequest>
    {
        public static string ServiceName => "runtara.environment";

        public string MethodName => RequestCase == RequestOneofCase.None ? string.Empty : RequestCase.ToString();

        public RpcKind Kind => RequestCase == RequestOneofCase.RegisterImageStream ? RpcKind.Upload : RpcKind.Unary;
    }

    public sealed partial class RpcResponse : IRpcResponse<RpcResponse>
    {
        public static RpcResponse FromError(string code, string message) =>
            new() { Error = new RpcError { Code = code, Message = message } };

        public bool TryGetError(out string code, out string message)
        {
            (code, message) = ResponseCase == ResponseOneofCase.Error ? (Error.Code, Error.Message) : (string.Empty, string.Empty);
            return ResponseCase == ResponseOneofCase.Error;
        }
    }
}
