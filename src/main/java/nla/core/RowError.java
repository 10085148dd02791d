package nla.core;

/** A row whose vector could not be used, and why; the other rows went on. */
public record RowError(int row, String message) {}
