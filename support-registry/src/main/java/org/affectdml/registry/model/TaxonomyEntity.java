package org.affectdml.registry.model;

import jakarta.persistence.CascadeType;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.OneToMany;
import jakarta.persistence.OrderBy;
import jakarta.persistence.Table;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

@Entity
@Table(name = "taxonomy")
public class TaxonomyEntity {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(nullable = false, unique = true)
    public String name;

    /** CATEGORICAL or LEVEL. */
    @Column(nullable = false)
    public String kind;

    @Column(nullable = false)
    public String description = "";

    /** +1 on every change of classes or supports. */
    @Column(nullable = false)
    public long revision = 1;

    @Column(nullable = false)
    public OffsetDateTime created = OffsetDateTime.now();

    @Column(nullable = false)
    public OffsetDateTime updated = OffsetDateTime.now();

    /** The rejection rule (UpdateTaxonomy); a rule exists when its model version is set. Null limits: none. */
    @Column(name = "reject_max_distance")
    public Float rejectMaxDistance;

    @Column(name = "reject_min_margin")
    public Float rejectMinMargin;

    @Column(name = "reject_model_version")
    public String rejectModelVersion;

    @Column(name = "reject_scoring")
    public String rejectScoring;

    /** Its own temperature of Classify's probabilities (UpdateTaxonomy.apply_temperature), for one version and scoring rule; null: none. */
    @Column(name = "temperature")
    public Double temperature;

    @Column(name = "temperature_model_version")
    public String temperatureModelVersion;

    @Column(name = "temperature_scoring")
    public String temperatureScoring;

    @OneToMany(mappedBy = "taxonomy", cascade = CascadeType.ALL, orphanRemoval = true)
    @OrderBy("position")
    public List<EmotionClassEntity> classes = new ArrayList<>();

    public boolean hasRejectionRule() {
        return rejectModelVersion != null;
    }

    public void touch() {
        revision++;
        updated = OffsetDateTime.now();
    }
}
