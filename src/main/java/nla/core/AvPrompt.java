package nla.core;

/**
 * An AV prompt's token ids and where the vector goes.
 *
 * @param ids the chat-templated prompt (the template's own BOS only, never a second one)
 * @param injectionPosition the index holding the injection id between the sidecar's neighbours
 */
public record AvPrompt(int[] ids, int injectionPosition) {}
