package org.affectdml.registry.model;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;

@Entity
@Table(name = "emotion_class")
public class EmotionClassEntity {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @ManyToOne(optional = false)
    @JoinColumn(name = "taxonomy_id")
    public TaxonomyEntity taxonomy;

    @Column(nullable = false)
    public String name;

    @Column(nullable = false)
    public String description = "";

    @Column(nullable = false)
    public double level;

    @Column(nullable = false)
    public int position;

    /** This class's distance threshold in the taxonomy's rejection rule; null: the taxonomy's. */
    @Column(name = "max_distance")
    public Float maxDistance;
}
