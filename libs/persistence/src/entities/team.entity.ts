import { CreatedAt, TextColumn } from './columns';
import { Column, Entity, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import type { ApiKeyEntity } from './api-key.entity';

@Entity('teams')
export class TeamEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @TextColumn({ unique: true })
  name!: string;

  @Column({ name: 'is_admin', type: 'boolean', default: false })
  isAdmin!: boolean;

  @CreatedAt()
  createdAt!: Date;

  @OneToMany('ApiKeyEntity', (key: ApiKeyEntity) => key.team)
  apiKeys?: ApiKeyEntity[];
}
