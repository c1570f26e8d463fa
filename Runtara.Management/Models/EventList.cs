namespace Runtara.Management;

public sealed record EventList(IReadOnlyList<EventInfo> Events, long TotalCount, int Limit, int Offset);
