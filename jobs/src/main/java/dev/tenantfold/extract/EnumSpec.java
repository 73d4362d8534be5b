package dev.tenantfold.extract;

import java.util.List;

/** A source enum type and its labels in sort order. */
public record EnumSpec(String name, List<String> labels) {
  public EnumSpec {
    labels = List.copyOf(labels);
  }
}
