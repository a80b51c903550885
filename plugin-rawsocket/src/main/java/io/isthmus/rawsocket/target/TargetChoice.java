package io.isthmus.rawsocket.target;

/** The outcome of choosing a target: one, or a refusal with a metric label and a text for the close reason. */
public sealed interface TargetChoice permits TargetChoice.Chosen, TargetChoice.Refused {

    record Chosen(Target target) implements TargetChoice {
    }

    record Refused(String reason, String message) implements TargetChoice {
    }
}
