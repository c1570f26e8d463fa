namespace Runtara.Management;

/// <summary>One page of an instance's events.</summary>
/// <param name="Events">The events on this page.</param>
/// <param name="TotalCount">How many events match in all.</param>
/// <param name="Limit">The page size the server applied.</param>
/// <param name="Offset">How many events were skipped before this page.</param>
/// <param name="NextOffset">The offset of the next page, or null on the last one. Page with this, not with Offset + Limit: the server ends a page early when its answer would pass its byte budget.</param>
public sealed record EventList(IReadOnlyList<EventInfo> Events, long TotalCount, int Limit, int Offset, int? NextOffset = null);
